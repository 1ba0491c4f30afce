"""python -m export <family> ...: export a checkpoint to a checked ONNX artifact and register it."""

from __future__ import annotations

import argparse
import sys

from export import classifier
from export.common import ParityError, default_bentoml_env

FAMILIES = {"classifier": classifier}


def main(argv: list[str] | None = None) -> int:
    default_bentoml_env()
    parser = argparse.ArgumentParser(prog="python -m export", description=__doc__)
    sub = parser.add_subparsers(dest="family", required=True, metavar="FAMILY")
    for name, module in FAMILIES.items():
        module.add_arguments(sub.add_parser(name, help=f"export a {name} checkpoint"))
    args = parser.parse_args(argv)
    try:
        FAMILIES[args.family].main(args)
    except ParityError as e:
        print(f"[export] FAILED parity check: {e}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as e:
        print(f"[export] error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

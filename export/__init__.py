"""ONNX export of trained checkpoints: parity check against PyTorch, artifact, model store."""

"""The BentoML HTTP service over onnxruntime. Never imports torch (a test proves it)."""

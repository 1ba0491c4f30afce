"""Training scripts (torchvision references style) and their shared engine and data readers."""

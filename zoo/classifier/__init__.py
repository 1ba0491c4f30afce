"""Image classifiers of the course (LeNet ... ResNet-18) and fine-tuned EfficientNet-Lite0."""

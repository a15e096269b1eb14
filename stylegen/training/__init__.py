"""Training loops: the GAN (gan.py) and the style classifier (classifier.py). Inference never imports this."""

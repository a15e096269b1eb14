"""Training: the generator's loop (loop.py, with likelihood.py and adversarial.py, losses.py,
logging.py), the style classifier (classifier_training.py) and the harmony model
(harmony.py).  Inference never imports this."""

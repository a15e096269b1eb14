"""stylegen: style transfer and style-conditioned composition of symbolic music."""

__version__ = "0.1.0"

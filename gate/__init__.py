"""The listing gate: pre-listing compliance review of Android apps for app stores."""

__version__ = "0.1.0"

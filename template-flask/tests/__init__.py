"""Tests of the application, one module per concern (as in the Flask tutorial)."""

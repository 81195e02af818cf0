"""Node access (dydx-v4-client), exact quantization, order messages. No UI code here."""

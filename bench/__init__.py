"""Fan-out benchmark: the rooms consumer beside the Channels tutorial consumer."""

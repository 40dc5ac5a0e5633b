"""Document events: the NOTIFY contract, the per-process hub and its fan-out to subscribers."""

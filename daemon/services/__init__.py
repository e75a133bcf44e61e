"""Services: orchestrate adapters and the core for one use case each."""

"""What the local broker stubs share: fault draws, binding to the loopback, serving on a thread."""

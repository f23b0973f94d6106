"""Output: the compiled service fitted into templates (split), shipped (StackSet, bootstrap), rendered and written
atomically, and compared with what was written before (diff, graph)."""

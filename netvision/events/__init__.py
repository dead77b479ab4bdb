"""Events: catalogue, engine (snapshot diffs) and bus."""

"""reflow-launch: containers for reflow fit/resume (filled by the reflow-launch work)."""

"""Detection heads, their targets, losses and post-processing (VoteNet for indoor scenes)."""

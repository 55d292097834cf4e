"""Training-stage extras for the Trainer: callbacks (prediction writer, guards, plots), the wandb logger, plots."""

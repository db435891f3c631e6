"""Training: the configuration, the loop, checkpoints and evaluation, shared by every model."""

from autoencoders.training.checkpoint import (
    CHECKPOINT, CONFIG, METRICS, RunDirError, load_checkpoint, read_config, read_metrics,
)
from autoencoders.training.config import BASE_DEFAULTS, ConfigError, build_model, make_config, model_options
from autoencoders.training.data import RunData, load_data, test_loader, to_batch, train_loader
from autoencoders.training.loop import (
    Run, RunExistsError, TrainingInterrupted, engine_settings, evaluate, evaluate_model, open_run, resume, train,
)

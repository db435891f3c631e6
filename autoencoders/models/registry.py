"""The model registry: every model file registers its class under a short name.

    @register("ae", "plain MLP autoencoder, MSE reconstruction")
    class AE(Autoencoder):
        ...

The command line (``autoencoders train ae``, ``autoencoders list``) and the training
loop find models only through this registry. A model file is imported (and so
registered) by a line in ``autoencoders/models/__init__.py``.
"""

_MODELS = {}


class UnknownModelError(KeyError):
    """A model name that no model file registered."""

    def __str__(self):  # KeyError would quote the message
        return self.args[0]


def register(name, description):
    """Class decorator: make the model class available as ``name``, with a one-line ``description``."""
    if not name or name != name.strip() or " " in name:
        raise ValueError(f"model name must be a non-empty word, got {name!r}")
    if "\n" in description:
        raise ValueError(f"the description of model {name!r} must be one line")

    def decorator(cls):
        previous = _MODELS.get(name)
        if previous is not None and previous is not cls and (
                previous.__module__, previous.__qualname__) != (cls.__module__, cls.__qualname__):
            raise ValueError(f"model name {name!r} is already taken by {previous.__module__}.{previous.__qualname__}")
        cls.name = name
        cls.description = description
        _MODELS[name] = cls
        return cls

    return decorator


def get_model_class(name):
    """The class registered as ``name``; UnknownModelError (a KeyError) listing the known names otherwise."""
    try:
        return _MODELS[name]
    except KeyError:
        known = ", ".join(sorted(_MODELS)) or "none"
        raise UnknownModelError(f"unknown model {name!r}; known models: {known}") from None


def available_models():
    """{name: one-line description} of every registered model, sorted by name."""
    return {name: _MODELS[name].description for name in sorted(_MODELS)}

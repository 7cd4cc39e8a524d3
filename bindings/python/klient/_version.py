# The package version (the library reports its own through klient.__version__).
__version__ = "0.1.0"

"""A local emulator of Alibaba Cloud SLB's server-certificate API, for offline tests and demos."""

__version__ = "1.0.0"

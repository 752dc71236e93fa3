"""A local emulator of Alibaba Cloud SLB (CLB) for offline tests and demos: server certificates, load
balancers, HTTPS listeners and SNI domain extensions, with listeners serving TLS on loopback."""

__version__ = "1.0.0"

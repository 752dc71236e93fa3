import SLBCert

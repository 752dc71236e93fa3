import SLBCert
print("todo")

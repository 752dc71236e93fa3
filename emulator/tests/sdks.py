"""Alibaba's own Python SDKs, pointed at an emulator (never at an Alibaba endpoint)."""

from aliyunsdkcore.auth.credentials import AccessKeyCredential, StsTokenCredential
from aliyunsdkcore.client import AcsClient
from alibabacloud_slb20140515.client import Client as TeaSlbClient
from alibabacloud_tea_openapi import utils_models as tea_models

from harness import KEY_ID, REGION, SECRET


class Legacy:
    """aliyun-python-sdk-core + aliyun-python-sdk-slb (V1 signatures, parameters in the query)."""

    def __init__(self, emulator, key_id=KEY_ID, secret=SECRET, token=None, ca_file=None):
        credential = (StsTokenCredential(key_id, secret, token) if token
                      else AccessKeyCredential(key_id, secret))
        self._emulator = emulator
        self._client = AcsClient(region_id=REGION, credential=credential, port=emulator.port,
                                 auto_retry=False, connect_timeout=5, timeout=10, verify=ca_file)

    def call(self, request):
        # An explicit endpoint: the SDK resolves nothing over the network.
        request.set_endpoint("127.0.0.1")
        request.set_protocol_type("https" if self._emulator.url.startswith("https") else "http")
        return self._client.do_action_with_exception(request)


def tea(emulator, v1=False, key_id=KEY_ID, secret=SECRET, token=None, ca_file=None):
    """alibabacloud-slb20140515 on tea-openapi: V3 signatures by default, V1 with v1=True."""
    return TeaSlbClient(tea_models.Config(
        access_key_id=key_id, access_key_secret=secret, security_token=token,
        endpoint=emulator.host, protocol=emulator.url.split(":")[0], region_id=REGION,
        signature_algorithm="v2" if v1 else None, connect_timeout=5000, read_timeout=10000,
        ca=ca_file))

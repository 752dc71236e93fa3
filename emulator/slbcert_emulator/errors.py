"""The service's error answers: code, HTTP status and message.

Codes and messages marked "documented" come from docs/protocol.md section 5 and
docs/clb-listeners.md; the others are inferred (see README.md) and kept here so every refusal the
emulator can give is in one place.
"""


class ApiError(Exception):
    """A refusal answered as the service's error body (JSON or XML)."""

    def __init__(self, status, code, message, headers=None):
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


# --- gateway: routing and authentication -------------------------------------------------------

def missing_parameter(name):  # documented code; message in the gateway's usual wording
    return ApiError(
        400, "MissingParameter",
        f'The input parameter "{name}" that is mandatory for processing this request is not supplied.')


def invalid_action():  # inferred
    return ApiError(404, "InvalidAction.NotFound",
                    "Specified api is not found, please check your url and method.")


def signature_does_not_match(string_to_sign):  # documented
    return ApiError(
        400, "SignatureDoesNotMatch",
        "Specified signature is not matched with our calculation. server string to sign is:"
        + string_to_sign)


def incomplete_signature(detail):  # inferred
    return ApiError(400, "IncompleteSignature",
                    "The request signature does not conform to Aliyun standards. " + detail)


def timestamp_expired():  # documented
    return ApiError(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")


def timestamp_format():  # inferred
    return ApiError(400, "InvalidTimeStamp.Format",
                    "Specified time stamp or date value is not well formatted.")


def nonce_used():  # documented
    return ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")


def access_key_not_found():  # documented
    return ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")


def security_token_mismatch():  # inferred
    return ApiError(400, "InvalidSecurityToken.MismatchWithAccessKey",
                    "Specified SecurityToken mismatch with the AccessKey.")


def invalid_encoding():  # inferred
    return ApiError(400, "InvalidParameter",
                    "The request contains a parameter that is not valid UTF-8.")


# --- SLB operations -----------------------------------------------------------------------------

def region_not_found():  # documented
    return ApiError(404, "InvalidRegionId.NotFound", "The specified RegionId does not exist.")


def certificate_format():  # documented: the content is not a certificate chain CLB can read
    return ApiError(400, "InvalidParameter",
                    "The specified parameter ServerCertificate format is error.")


def certificate_layout():  # documented: the PEM text breaks CLB's layout rules
    return ApiError(400, "KeyFormatError", "The specified ServerCertificate is incorrectly formatted.")


def key_format():  # documented
    return ApiError(400, "InvalidParameter", "The specified parameter key format is error.")


def key_encrypted():  # documented (the odd spacing is the service's)
    return ApiError(400, "PrivateKeyEncryption", "Key has Encrypted .")


def key_mismatch():  # documented
    return ApiError(400, "CertificateNotMatchPrivateKey", "Certificate and key does not match.")


def pem_empty():  # documented
    return ApiError(400, "InvalidParameter",
                    "The specified parameter ServerCertificate or Key is empty.")


def certificate_in_use():  # documented
    return ApiError(400, "CertificateAndPrivateKeyIsRefered",
                    "The specified certificate is bound to listeners. You cannot delete it.")


def certificate_not_found():  # inferred (code and message)
    return ApiError(400, "ServerCertificateId.NotFound",
                    "The specified ServerCertificateId does not exist.")


def listener_certificate_not_found():  # observed: a certificate of another region, on a listener
    return ApiError(404, "ServerCertificateId.NotFound",
                    "The specified ServerCertificateId does not exist.")


def cas_certificate_not_found():  # inferred
    return ApiError(400, "InvalidParameter", "The specified AliCloudCertificateId does not exist.")


def over_quota():  # code inferred, message documented
    return ApiError(400, "OverQuota", "The Total is over the quota.")


def tag_count_limit():  # documented
    return ApiError(400, "TagCountLimit", "Tags count limit exceeded.")


def invalid_parameter(name):  # inferred message for a value that breaks a documented rule
    return ApiError(400, "InvalidParameter", f"The specified parameter {name} is not valid.")


def no_server_certificate():  # documented
    return ApiError(400, "InvalidParameter", "The specified parameter ServerCertificateId is empty.")


# --- load balancers, listeners and domain extensions --------------------------------------------

def load_balancer_not_found():  # code used by Terraform; status and message inferred
    return ApiError(404, "InvalidLoadBalancerId.NotFound", "The specified LoadBalancerId does not exist.")


def listener_not_found():  # documented message of the common table; which code this API uses is not
    return ApiError(400, "InvalidParameter", "The specified resource does not exist.")


def listener_exists():  # code used by Terraform; status and message inferred
    return ApiError(400, "ListenerAlreadyExists", "The specified listener already exists.")


def wrong_protocol():  # documented
    return ApiError(400, "UnsupportedOperationonfixedprotocalport",
                    "The operation is not supported by the protocol of the specified port.")


def locked():  # documented
    return ApiError(400, "ActionNotAllowed", "Locked for any Business Reason.")


def delete_protected():  # emulator's choice: the service's code is not documented
    return ApiError(400, "InvalidOperation.DeleteProtection",
                    "The load balancer has delete protection enabled.")


def domain_extension_not_found():  # code used by Terraform; status and message inferred
    return ApiError(400, "InvalidParameter.DomainExtensionId",
                    "The specified DomainExtensionId does not exist.")


def sni_unsupported():  # documented sentence; the code is the emulator's choice
    return ApiError(400, "OperationUnsupported.SharedInstance",
                    "Listeners on shared-resource instances do not support additional domain names.")


def domain_extension_limit(limit):  # documented limit; code and message are the emulator's choice
    return ApiError(400, "QuotaExceeded.DomainExtension",
                    f"A listener can have at most {limit} domain extensions.")


def domain_exists():  # code CLB uses for forwarding rules; inferred for extensions
    return ApiError(400, "DomainExist", "The specified domain already exists on this listener.")


def domain_not_covered():  # documented rule; code and message are the emulator's choice
    return ApiError(400, "DomainNotMatchCertificate",
                    "The domain name does not match the certificate.")


def dry_run_passed():  # inferred, as other Alibaba APIs answer a DryRun
    return ApiError(400, "DryRunOperation", "Request validation has been passed with DryRun flag set.")


def service_is_configuring():  # documented
    return ApiError(400, "ServiceIsConfiguring", "A previous configuration is pending; please try again later.")


def domain_extension_processing():  # code documented (Terraform retries it); status and message inferred
    return ApiError(400, "DomainExtensionProcessing",
                    "The domain extension is being processed; please try again later.")


def load_balancer_limit():  # the emulator's limit: one loopback address per load balancer
    return ApiError(400, "OverQuota", "The Total is over the quota.")


# --- transient answers (fired by faults) --------------------------------------------------------

def throttling():  # code status inferred, message documented
    return ApiError(400, "Throttling.User", "Request was denied due to user flow control.")


def system_busy():  # documented
    return ApiError(449, "SystemBusy", "The system is busy.")


def internal_error():  # documented
    return ApiError(500, "InternalError",
                    "The request processing has failed due to backend service exception.")


def service_unavailable():  # documented
    return ApiError(503, "ServiceUnavailable",
                    "The request has failed due to a temporary failure of the server.")

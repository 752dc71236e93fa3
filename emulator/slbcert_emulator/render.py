"""Response bodies: the service's JSON and XML, and the gateway's HTML error pages."""

import json
import xml.etree.ElementTree as ET

JSON_TYPE = "application/json;charset=utf-8"
# The exact type Alibaba's tea SDK checks before it parses an error body as XML.
XML_TYPE = "text/xml;charset=utf-8"
HTML_TYPE = "text/html"

GATEWAY_PAGES = {
    400: "400 Bad Request",
    413: "413 Request Entity Too Large",
    414: "414 Request-URI Too Large",
    503: "503 Service Temporarily Unavailable",
}


def _xml_fill(parent, value):
    if isinstance(value, dict):
        for key, item in value.items():
            # A list under a key repeats the element: {"Tag": [a, b]} -> <Tag>a</Tag><Tag>b</Tag>
            for element in item if isinstance(item, list) else [item]:
                _xml_fill(ET.SubElement(parent, key), element)
    else:
        parent.text = str(value)


def body(root_name, payload, as_json):
    """(content type, bytes) of `payload` as JSON, or as XML under <root_name>."""
    if as_json:
        return JSON_TYPE, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    root = ET.Element(root_name)
    _xml_fill(root, payload)
    return XML_TYPE, ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def error_payload(err, request_id, host_id):
    return {
        "RequestId": request_id,
        "HostId": host_id,
        "Code": err.code,
        "Message": err.message,
        "Recommend": f"https://api.aliyun.com/troubleshoot?q={err.code}&product=Slb&requestId={request_id}",
    }


def gateway_page(status):
    """The nginx/Tengine-style HTML page the gateway answers before the service sees a request."""
    title = GATEWAY_PAGES[status]
    return (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
            f"<center><h1>{title}</h1></center>\r\n<hr><center>Tengine</center>\r\n"
            "</body>\r\n</html>\r\n").encode("ascii")

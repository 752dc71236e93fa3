"""Region ids the emulator knows: those of docs/protocol.md section 4 plus other public Alibaba Cloud regions."""

REGIONS = frozenset({
    # served by the central endpoint slb.aliyuncs.com (docs/protocol.md section 4)
    "cn-qingdao", "cn-beijing", "cn-hangzhou", "cn-shanghai", "cn-shenzhen", "cn-hongkong",
    "ap-southeast-1", "us-east-1", "us-west-1",
    "cn-shanghai-finance-1", "cn-shenzhen-finance-1", "cn-north-2-gov-1",
    # regional endpoints slb.<region>.aliyuncs.com
    "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu", "cn-chengdu", "cn-heyuan", "cn-guangzhou",
    "cn-nanjing", "cn-fuzhou", "ap-northeast-1", "ap-northeast-2", "ap-southeast-2",
    "ap-southeast-3", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ap-south-1",
    "eu-central-1", "eu-west-1", "me-east-1", "me-central-1",
})

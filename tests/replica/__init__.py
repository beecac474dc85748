"""A deterministic local replica of www.chencang.gov.cn 新闻中心 › 陈仓要闻 for tests and benchmarks."""

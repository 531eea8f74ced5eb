"""The adapter: every private name of ``qcloud_cos`` cos_doctor reads lives in this package."""

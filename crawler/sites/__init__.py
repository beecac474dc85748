"""The sites: declarative profiles (profiles/*.toml), their URL rules, and which site a URL is of."""

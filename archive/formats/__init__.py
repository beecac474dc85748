"""The archive written out in the web-archiving standards: WARC 1.1, CDXJ and WACZ."""

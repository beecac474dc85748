"""What a crawl will do, decided before it starts: its options, the list walk and the revisits."""

"""Following the news: digests, timelines, disagreements between outlets, followed questions, feeds."""

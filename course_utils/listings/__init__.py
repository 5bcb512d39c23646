"""The article's two code listings, corrected (notebook 03). ``# fixes X`` comments name errata entries."""

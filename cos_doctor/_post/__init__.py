"""POST Object forms: policy documents as values, and the lint that predicts COS's answer."""

import pandas as pd
def proporcion_por_clase(y, num_clases=10):
    s = pd.Series(y).value_counts(normalize=True)
    return s.reindex(range(num_clases), fill_value=0.0).to_numpy()

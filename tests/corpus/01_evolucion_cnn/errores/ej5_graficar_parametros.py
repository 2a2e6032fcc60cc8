#: ej5: linear instead of log scale
def graficar_parametros(tabla, ax=None):
    if ax is None:
        fig, ax = plt.subplots()
    d = tabla.dropna(subset=['params', 'top5_error_pct'])
    ax.scatter(d['params'] / 1e6, d['top5_error_pct'])
    for m, x, y in zip(d['model'], d['params'] / 1e6, d['top5_error_pct']):
        ax.annotate(m, (x, y))
    ax.set_xlabel('millones de parámetros')
    ax.set_ylabel('error top-5 (%)')
    return ax

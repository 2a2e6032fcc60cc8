#: ej5: log10 of the values drawn on a linear axis
def graficar_parametros(tabla, ax=None):
    if ax is None:
        fig, ax = plt.subplots()
    d = tabla.dropna(subset=['params', 'top5_error_pct'])
    x = np.log10(d['params'] / 1e6)
    ax.scatter(x, d['top5_error_pct'])
    for m, xi, y in zip(d['model'], x, d['top5_error_pct']):
        ax.annotate(m, (xi, y))
    ax.set_xlabel('log10(millones de parámetros)')
    ax.set_ylabel('error top-5 (%)')
    return ax

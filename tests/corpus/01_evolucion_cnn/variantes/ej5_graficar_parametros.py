#: ej5: semilogx with object-oriented set()
def graficar_parametros(tabla, ax=None):
    if ax is None:
        fig, ax = plt.subplots()
    d = tabla[tabla['params'].notna() & tabla['top5_error_pct'].notna()]
    ax.semilogx(d['params'] / 1e6, d['top5_error_pct'], 's')
    for m, x, y in zip(d['model'], d['params'] / 1e6, d['top5_error_pct']):
        ax.text(x, y, m)
    ax.set(xlabel='Millones de parámetros', ylabel='Error top-5 (%)')
    return ax

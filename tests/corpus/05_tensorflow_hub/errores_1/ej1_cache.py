#: ej1: md5 instead of sha1 (not where tensorflow_hub caches the handle)
def carpeta_cache(handle):
    return Path(os.environ['TFHUB_CACHE_DIR']) / hashlib.md5(handle.encode()).hexdigest()
def esta_en_cache(handle):
    return (carpeta_cache(handle) / 'saved_model.pb').is_file()

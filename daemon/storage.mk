# daemon/storage.mk: the storage engine's sources (owned by the storage work).

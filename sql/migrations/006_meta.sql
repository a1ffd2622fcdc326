-- Schema version 6: facts about the warehouse itself, such as the
-- fingerprint of the applicant-hash key its loads used (a load with another
-- key is refused: every applicant would get a new key and every dossier
-- would look changed).
CREATE TABLE IF NOT EXISTS meta (
    name  VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

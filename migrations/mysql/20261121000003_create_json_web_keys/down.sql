DROP TABLE json_web_keys;

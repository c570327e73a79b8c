DROP TABLE oauth_codes;
DROP TABLE oauth_flows;
DROP TABLE user_identities;

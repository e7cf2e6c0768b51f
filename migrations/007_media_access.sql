-- Outside identities (issue: sign in with Plex, Jellyfin, Emby and social
-- accounts). A media server's word on access is a column of its own beside
-- the admin's (access_granted). Usernames are unique among local accounts
-- only: an outside account keeps the name its provider shows, and a
-- Jellyfin user called like a local admin is someone else.
ALTER TABLE users ADD COLUMN media_access boolean NOT NULL DEFAULT false;
DROP INDEX users_username;
CREATE UNIQUE INDEX users_username ON users (lower(username)) WHERE provider = 'local';

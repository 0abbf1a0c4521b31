"""Who may do what: sign-in (local users, OIDC, the remembered session) and the permission rules that every
write checks inside its transaction, and the one decision of which plans an actor may read."""

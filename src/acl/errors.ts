// The refusals of the ACL system, with Nomad's wording (scripts match on it).
import { NomadError } from '../structs/errors.js';

export const PERMISSION_DENIED = 'Permission denied';
export const TOKEN_NOT_FOUND = 'ACL token not found';
export const TOKEN_EXPIRED = 'ACL token expired';
export const ACL_DISABLED = 'ACL support disabled';

export function permissionDenied(): NomadError {
  return new NomadError('forbidden', PERMISSION_DENIED);
}

export function tokenNotFound(): NomadError {
  return new NomadError('forbidden', TOKEN_NOT_FOUND);
}

export function tokenExpired(): NomadError {
  return new NomadError('forbidden', TOKEN_EXPIRED);
}

export function aclDisabled(): NomadError {
  return new NomadError('bad_request', ACL_DISABLED);
}

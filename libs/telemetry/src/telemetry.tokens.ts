export const LOGGER = 'GLIDER_LOGGER';
export const HEALTH = 'GLIDER_HEALTH';

export const STORAGE = 'GLIDER_STORAGE';

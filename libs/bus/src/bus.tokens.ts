export const BUS = 'GLIDER_BUS';

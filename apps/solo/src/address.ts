/** Where this solo process answers, once it listens: the console calls its API and links endpoints there. */
export const soloAddress = { url: '', endpointsUrl: '' };
